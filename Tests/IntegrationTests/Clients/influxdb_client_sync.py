"""`influxdb-client` 1.50 with the SYNCHRONOUS write API: Point objects and line strings.

usage: influxdb_client_sync.py PORT
"""
import sys

from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

port = int(sys.argv[1])
with InfluxDBClient(url="http://127.0.0.1:%d" % port, token="unused", org="org", timeout=10_000) as client:
    write = client.write_api(write_options=SYNCHRONOUS)
    points = [
        Point("cpu").tag("host", "a").field("usage", 0.25).field("cores", 8).field("model", "x86 64").time(1700000000000, WritePrecision.MS),
        Point("cpu").tag("host", "b").field("usage", 0.75).field("cores", 4).field("model", "arm").time(1700000000001, WritePrecision.MS),
    ]
    write.write(bucket="metrics", record=points, write_precision=WritePrecision.MS)
    write.write(bucket="metrics", record=["cpu,host=c usage=1.5,cores=2i,model=\"riscv\" 1700000000002000000"])
print("written 3")
