"""The dezky-infra Pulumi program: the Dezky dev stack from ``Pulumi.<stack>.yaml``."""

import pulumi

from dezky_infra.program.config import StackSecrets, load_stack_config
from dezky_infra.program.stack import DezkyStack

stack = DezkyStack("dezky", load_stack_config(), StackSecrets(pulumi.Config("dezky")))
stack.export_outputs()
