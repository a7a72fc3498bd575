"""FastAPI routers, request/response schemas, middleware and the error map."""
