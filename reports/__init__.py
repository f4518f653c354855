"""Presentation: report contexts, jinja2 templates, HTML/XLSX/Markdown/DOCX output, notifications."""
