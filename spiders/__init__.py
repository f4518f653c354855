"""Observation: the Scrapy project (settings, items, pipelines), one spider per source, and the
simulated platforms that tests, benchmarks and the demo crawl."""
