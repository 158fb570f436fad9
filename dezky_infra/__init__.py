"""dezky-infra: authentik as code for Pulumi (``dezky_infra.authentik``), and the Dezky dev stack.

- ``dezky_infra.authentik``: the library, Pulumi dynamic resources for authentik (API v3);
- ``dezky_infra.program``: the Dezky program (config, the authentik objects, the docker layer);
- ``dezky_infra.cli``: the commands around it (``dezky-infra env``, ``verify``, ``review``, ``workspace``);
- ``dezky_infra.contract``: the stack outputs the program writes and the commands read.
"""

__version__ = "0.2.0"

from dezky_infra import _moved

_moved.install()  # modules that moved stay importable under the paths existing stacks' state names
