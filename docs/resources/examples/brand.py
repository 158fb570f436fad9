import pulumi

from dezky_infra.authentik import Brand

acme = Brand(
    "acme-brand",
    domain="acme.auth.example.com",
    title="ACME",
    attributes={"settings": {"locale": "de"}},
)
pulumi.export("brand", acme.brand_uuid)
