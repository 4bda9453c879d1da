"""Signatures drawn on screen (出库单, 入库单, 交接单): sanitised SVG kept in the database."""
