import pulumi

from dezky_infra.authentik import ApiToken

config = pulumi.Config()
token = ApiToken(
    "ci-token",
    identifier="ci-deploy-token",
    key=config.require_secret("ciToken"),  # a secret chosen by the program, e.g. from stack config
    description="token of the CI deploy job",
)
pulumi.export("token_pk", token.pk)
