"""Compliance lists (danh sách): compiled per campaign and commune, submitted, approved."""
