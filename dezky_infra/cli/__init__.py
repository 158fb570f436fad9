"""The command-line tools around the Pulumi program: ``python -m dezky_infra <command>``."""
