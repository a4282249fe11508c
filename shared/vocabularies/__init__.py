"""The value lists a service's marts hold and its API exposes, declared once per schema owner.

Each module belongs to the service that owns the schema (`loyalty`, `reminders`,
`transparency`). The lists live in `shared/` because two deployables read them and neither may
import the other (DESIGN.md, "Imports point down"): the flows check them in the marts' data
contracts (`flows/gold/marts/`) and the services type their API models with them. Each list is
a `Literal` (for pydantic and OpenAPI) and the same values as a tuple (for SQL checks).
"""
