"""The only part of ctg_data that imports streamlit: page guard, filters, caches, charts."""
