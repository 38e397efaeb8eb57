"""The read side: SQL aggregates returned as DataFrames or plain dicts, never ORM objects
(so that pages can cache them and no session outlives a query)."""
