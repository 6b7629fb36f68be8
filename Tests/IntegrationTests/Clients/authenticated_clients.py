"""Both client libraries against a worker with authentication on, with the right and a wrong
secret: python `influxdb` with a username and password (Basic auth), `influxdb-client` with a
token. The secrets come on stdin (TOKEN, USER, PASSWORD, one a line), not in argv.

usage: authenticated_clients.py PORT < secrets
Prints, in order: `v1 written`, `v1 wrong password 401`, `v2 written`, `v2 wrong token 401`.
"""
import sys

import influxdb
import influxdb_client
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

port = int(sys.argv[1])
token, user, password = sys.stdin.read().split("\n")[:3]
point = [{"measurement": "auth", "tags": {"client": "v1"}, "fields": {"v": 1}}]

v1 = influxdb.InfluxDBClient(host="127.0.0.1", port=port, username=user, password=password, database="metrics")
assert v1.write_points(point) is True
print("v1 written")
try:
    influxdb.InfluxDBClient(host="127.0.0.1", port=port, username=user, password="wrong", database="metrics").write_points(point)
    print("v1 wrong password accepted")
except influxdb.exceptions.InfluxDBClientError as error:
    print("v1 wrong password", error.code)

for label, secret in (("written", token), ("wrong token", "wrong")):
    with influxdb_client.InfluxDBClient(url="http://127.0.0.1:%d" % port, token=secret, org="org") as v2:
        try:
            v2.write_api(write_options=SYNCHRONOUS).write(bucket="metrics", record="auth,client=v2 v=2i")
            print("v2", label)
        except ApiException as error:
            print("v2", label, error.status)
