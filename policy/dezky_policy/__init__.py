"""The dezky policy pack: rules for the authentik objects and docker containers of the Dezky stack.

`pack.POLICIES` is the whole pack; `policy/__main__.py` serves it to the Pulumi engine.
"""
