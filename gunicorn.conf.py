"""gunicorn settings for `make run` and production (`gunicorn -c gunicorn.conf.py app:server`).

Threaded workers: a client that sends its request slowly holds one thread, not a whole worker,
so other people's pages keep loading (issue 11, finding 7). In production nginx sits in front
and buffers whole requests, so slow clients never reach gunicorn at all (README, "Production").
"""
import os

# Loopback only: nginx is the public face. PORT picks the port (`make run PORT=...`).
bind = f"127.0.0.1:{os.environ.get('PORT', '8050')}"

# Sized for 2 cores. Python runs one thread at a time per process, so it takes processes to use
# both cores; a third keeps them busy while another waits (on SQLite's write lock, a password hash).
# Threads absorb waiting, slow clients included: an idle server hands a burst of new connections
# to one worker, so each worker needs threads to spare beyond the eight slow clients of finding 7.
# 12 stays under a process's 15 pooled database connections (SQLAlchemy's default), so no thread
# queues for one, and 3 x 15 is well below PostgreSQL's default 100. Keep threads at 14 or fewer:
# a request that stores a past day's figures borrows a second connection for a moment
# (services.reporting.stored), and 15 threads each holding one could wait on each other.
# Threads, not sync processes, because of the password hash: a login's full-cost scrypt runs in
# C with the GIL released (measured: a thread hashing leaves another thread of the same process
# half the CPU of a saturated machine), so it delays no one else's request, whereas it would hold
# a sync worker, a third of the server, for its whole duration. Measured with 50 users on the demo
# (PostgreSQL, same conditions, issue 17): 3 x 12 threads served 15.9 requests/s, 3 x 4 9.4/s; on the
# idle machine, once the rollups' statements were reused, 3 x 12, 2 x 6 and 4 x 4 all served 58-61/s
# (the two cores are the limit), so 3 x 12 stays for the password hash's sake.
# Not reuse_port: with a listening socket per worker, the connections queued on a worker that is
# being replaced (max_requests, below) are reset (measured: 280 failed requests in 20 s under load).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "12"))

# A worker whose main loop is silent for 60 s (a hung interpreter) is killed and replaced; with
# threads a long request does not silence it. Every wait below is shorter: a write waits at most
# 10 s for a database lock (models/base.py) and is then answered "busy, try again"; nginx gives
# up on gunicorn after 70 s.
timeout = 60
graceful_timeout = 30  # on restart or deploy, requests in flight get 30 s to finish
keepalive = 5  # seconds an idle kept-alive connection stays open (nginx reuses them)

# Request head limits (gunicorn's defaults, stated): a request line up to 4 KB, 100 header
# fields of 8 KB each; bodies are capped by the app (MAX_CONTENT_LENGTH, 8 MB) and by nginx.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Recycle each worker after about 2 000 requests, staggered so both never restart together:
# bounds the growth of caches and fragmentation in long-lived processes.
max_requests = 2000
max_requests_jitter = 200

# Access log to stderr without query strings (a ?next= or a search may carry personal text) and
# without the referrer (it has query strings too): peer, client as nginx saw it, time, method,
# path, status, bytes, milliseconds, user agent.
accesslog = "-"
access_log_format = '%(h)s %({x-forwarded-for}i)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = "info"
