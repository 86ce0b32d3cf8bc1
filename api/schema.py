"""drf-spectacular: the Bearer token as the schema's security scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Personal API token (My account › API tokens, or "
            "`manage.py api_token --user NAME`).",
        }


# Text the API refuses (customers.cells.CONTROL_CHARACTERS), as a schema pattern.
NO_CONTROL_CHARACTERS = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"


def strict_requests(result, generator, request, public):
    """Post-processing hook: request bodies refuse unknown fields (additionalProperties:
    false) and invisible control characters in text (a pattern), as the views do."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request") and name != "TransactionBatch":
            continue
        if component.get("type") == "object":
            component["additionalProperties"] = False
        for prop in component.get("properties", {}).values():
            if prop.get("type") == "string" and not prop.get("format") and "enum" not in prop:
                prop.setdefault("pattern", NO_CONTROL_CHARACTERS)
    return result
