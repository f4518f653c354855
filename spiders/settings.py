"""Scrapy settings for every govmedia crawl: polite defaults, in one place.

The crawl runner (govmedia/crawling.py) lays each source's own values over these from config.yaml
(`sources.<name>.delay/concurrency`, `crawl.*`); the environment carries only secrets.
"""

BOT_NAME = "govmedia"
SPIDER_MODULES: list[str] = []  # spiders are chosen by registry, not discovered

# Identify ourselves; crawl.user_agent replaces this.
USER_AGENT = "govmedia/0.1 (government new-media compliance monitor)"

# Platform APIs read with the office's own login, not a public site walk; the web spider opts in.
ROBOTSTXT_OBEY = False
# Cookies come only from the environment, sent explicitly; none are collected or stored.
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no listening ports of our own
MEMUSAGE_ENABLED = False

# Politeness: per-source concurrency and delay (from config), adapted by AutoThrottle.
CONCURRENT_REQUESTS = 2
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50% of the delay, so requests do not march in step
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# HTTP through aiohttp's C parser on Scrapy's asyncio loop (spiders/handler.py). Nothing else:
# a platform's redirect to file:///… (or ftp, s3, data) must never read a local file or another
# store into the evidence, so Scrapy's handlers for those schemes are off.
DOWNLOAD_HANDLERS = {
    "http": "spiders.handler.AiohttpDownloadHandler",
    "https": "spiders.handler.AiohttpDownloadHandler",
    "file": None,
    "ftp": None,
    "s3": None,
    "data": None,
}

# A redirect is an answer, judged by the base spider (a login page means the session lapsed), so
# no source follows one; a spider that opts in (`follow_redirects`) gets Scrapy's redirect
# middlewares back, with the Referer middleware they expect (govmedia/crawling.py).
REDIRECT_ENABLED = False
METAREFRESH_ENABLED = False

# Retries with backoff for 5xx and timeouts only: a block or an expired login is an answer.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
GOVMEDIA_RETRY_BACKOFF = 2.0  # seconds before the first retry, doubling after
GOVMEDIA_RETRY_MAX_BACKOFF = 300.0  # no single wait longer than this (5 minutes)
DOWNLOAD_TIMEOUT = 30
# A body cut short is judged (malformed), with the evidence kept, rather than dropped.
DOWNLOAD_FAIL_ON_DATALOSS = False
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024

# Each callback yields one request or one observation (then, when an account is done, the next
# account's), and every pipeline is synchronous: one item slot is enough, and Scrapy starts one
# task per slot for every callback's output (four slots cost ~5 % of a crawl's CPU).
CONCURRENT_ITEMS = 1

# Scrapy's own components that a crawl of known URLs never needs cost time on every request
# (about a tenth of the crawl's CPU at 20,000 accounts): off.
DOWNLOADER_MIDDLEWARES = {
    "spiders.middlewares.CircuitBreakerMiddleware": 50,
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,  # URLs are built, not found
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "spiders.middlewares.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": None,
}
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    # Each spider middleware wraps every callback's output in one more async generator. The
    # sources that a platform checks the Referer of set their own (request_headers); meta is
    # never copied between requests.
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
# Scrapy's statistics are not kept (DummyStatsCollector): nothing to count them for.
EXTENSIONS = {
    "scrapy.extensions.corestats.CoreStats": None,
    "scrapy.extensions.logcount.LogCount": None,
}
STATS_CLASS = "scrapy.statscollectors.DummyStatsCollector"
# Scrapy re-reads a generator callback's source on every response to warn about `return value`
# (its cache misses bound methods): a sixth of a crawl's CPU. The base spider's callbacks are
# tested instead.
WARN_ON_GENERATOR_RETURN_VALUE = False

# One job each, in this order: enforce honest outcomes, remove secrets, compress evidence, store.
ITEM_PIPELINES = {
    "spiders.pipelines.HonestOutcomePipeline": 100,
    "spiders.pipelines.RedactPipeline": 200,
    "spiders.pipelines.EvidencePipeline": 300,
    "spiders.pipelines.StorePipeline": 900,
}
# A post dated later than its observation by more than this many seconds (clock skew between
# us and the platform) is a wrong date: dropped, and malformed if nothing else is dated
# (spiders/pipelines.py, HonestOutcomePipeline).
GOVMEDIA_FUTURE_TOLERANCE = 600.0
GOVMEDIA_STORE_URL = None  # set by the runner
GOVMEDIA_BATCH_SIZE = 500

LOG_LEVEL = "WARNING"
# govmedia installs its own redacting handlers (govmedia/logging_setup.py).
LOG_INSTALL_ROOT_HANDLER = False
LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
STATS_DUMP = False
LOGSTATS_INTERVAL = 0
