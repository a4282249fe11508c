"""The gateway: the single front door for `/api` (routing, authentication, merged OpenAPI)."""
