"""PostgreSQL persistence with SQLAlchemy: tables, repositories and the unit of work."""
