"""`influxdb-client` 1.50 with the batching write API, which retries 429 and 503 (after
Retry-After). Each point carries its number as the `seq` field.

usage: influxdb_client_batching.py PORT POINTS BATCH_SIZE
Prints `retry REASON` at each retry the client makes, `failed ...` for a batch it gave up on,
and `done` once every batch is written or given up.
"""
import sys

from influxdb_client import InfluxDBClient, Point, WriteOptions

port, points, batch_size = (int(a) for a in sys.argv[1:4])


def retried(conf, data, exception):
    print("retry", exception, flush=True)


def failed(conf, data, exception):
    print("failed", exception, flush=True)


options = WriteOptions(batch_size=batch_size, flush_interval=100, retry_interval=200, max_retries=60,
                       max_retry_delay=1_000, max_retry_time=60_000, max_close_wait=60_000)
with InfluxDBClient(url="http://127.0.0.1:%d" % port, token="unused", org="org", timeout=10_000) as client:
    with client.write_api(write_options=options, retry_callback=retried, error_callback=failed) as write:
        for i in range(points):
            write.write(bucket="metrics", record=Point("load").tag("source", "batching").field("seq", i).field("pad", "x" * 40).time(1700000000 + i, "s"))
print("done", flush=True)
