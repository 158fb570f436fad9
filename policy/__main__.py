"""Serve the dezky policy pack to the Pulumi engine.

The engine starts this through the language host's RunPlugin (``python policy <engine address>``,
see tools/pulumi-language-python/run_plugin.go); `PolicyPack` prints its gRPC port and serves.
"""

from dezky_policy import engine
from dezky_policy.pack import NAME, POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

engine.install()
PolicyPack(name=NAME, policies=POLICIES, enforcement_level=EnforcementLevel.ADVISORY)
