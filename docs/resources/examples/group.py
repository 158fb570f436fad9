import pulumi

from dezky_infra.authentik import Group

tenants = Group("tenants", name="tenants")
acme = Group(
    "tenant-acme",
    name="tenant-acme",
    parents=[tenants.pk],
    attributes={"dezky": {"tenant": "acme", "display_name": "ACME"}},
)
pulumi.export("acme_group", acme.pk)
