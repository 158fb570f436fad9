"""Test-only Pulumi program: the real dev stack (its tenants from ``dezky:tenants``) plus
``load:applications`` more OAuth2 providers, each with its application (the key has a namespace of
its own: ``dezky:`` holds only the program's keys).

Driven by tests/faults/test_load.py through the real engine; never part of the product.
"""

import pulumi

from dezky_infra.authentik import Application, OAuth2Provider
from dezky_infra.program.config import StackSecrets, load_stack_config
from dezky_infra.program.stack import DezkyStack

config = pulumi.Config("dezky")
cfg = load_stack_config(config)
stack = DezkyStack("dezky", cfg, StackSecrets(config))
stack.export_outputs()

after_token = pulumi.ResourceOptions(depends_on=[stack.objects.token])
slugs = []
for i in range(pulumi.Config("load").require_int("applications")):
    slug = f"load-app-{i:03d}"
    provider = OAuth2Provider(
        f"{slug}-provider",
        name=f"{slug}-provider",
        redirect_uris=[{"url": f"https://{slug}.dezky.local/callback", "matching_mode": "strict"}],
        opts=after_token,
    )
    Application(
        slug,
        name=f"Load app {i}",
        slug=slug,
        provider=provider.pk,
        public_url=cfg.public_url,
        opts=after_token,
    )
    slugs.append(slug)
pulumi.export("load_applications", slugs)
