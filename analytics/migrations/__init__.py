"""Ordered SQL migrations (NNNN_name.sql), applied by analytics.warehouse."""
