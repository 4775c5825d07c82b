"""credit-gateway: a GraphQL gateway in front of a unified public credit database."""

__version__ = "0.1.0"
