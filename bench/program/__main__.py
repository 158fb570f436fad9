"""The benchmark's Pulumi program (copied into a throwaway project by ``bench.project``)."""

from bench.workload import main

main()
