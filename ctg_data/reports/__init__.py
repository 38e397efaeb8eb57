"""Read models: database facts fed to the pure rules and shaped for a page, a download or a
check. `funding` (lever breakdown, coordination posts, co-funding, shared reconciliation pieces),
`bonus_report` (the bonus territoire facility by facility, `ctg bonus`), `exports` (table
downloads as .xlsx / .csv) and `integrity` (`ctg check`). They read through ctg_data.queries and
compute through ctg_data.rules; they never write."""
