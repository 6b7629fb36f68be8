"""python `influxdb` 5.3.2 against linemaster-http, as an application would use it.

usage: influxdb_v1_points.py PORT POINTS BATCH_SIZE
Prints the version ping() returned, then `written N`. Exits non-zero on any failure.
"""
import sys

from influxdb import InfluxDBClient

port, points, batch_size = (int(a) for a in sys.argv[1:4])
client = InfluxDBClient(host="127.0.0.1", port=port, database="metrics", gzip=True, timeout=10)
print("version", client.ping())
client.create_database("metrics")
weather = [
    {
        "measurement": "weather",
        "tags": {"city": "c%d" % (i % 3)},
        "time": 1700000000 + i,
        "fields": {"temp": i + 0.5, "count": i, "note": 'say "hi" \\ %d' % i, "ok": i % 2 == 0},
    }
    for i in range(points)
]
assert client.write_points(weather, time_precision="s", batch_size=batch_size) is True
print("written", points)
