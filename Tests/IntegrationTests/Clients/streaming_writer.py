"""A client that streams writes and retries each request until it is answered 204: after a
connection error, a 5xx or a 429. Bounded: it gives up after 30 s on one request.

usage: streaming_writer.py PORT REQUESTS LINES PROGRESS_FILE
Request r carries the lines with seq r*LINES ... r*LINES+LINES-1. After each 204 it appends
`acked r` to PROGRESS_FILE; at the end it prints `retried r1 r2 ...`: the requests that had at
least one attempt without a 204 (only their rows may be stored twice). Requests are 5 ms apart,
so that a test can kill workers while the stream goes on.
"""
import http.client
import sys
import time

port, requests, lines = (int(a) for a in sys.argv[1:4])
progress = open(sys.argv[4], "a", buffering=1)
retried = []
connection = None
for r in range(requests):
    body = "".join("stream,client=py seq=%di,v=%d.5 %d\n" % (r * lines + i, i, 1700000000000000000 + r * lines + i) for i in range(lines))
    deadline = time.monotonic() + 30
    while True:
        status = None
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("POST", "/write?db=metrics", body=body.encode())
            response = connection.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = None
        if status == 204:
            break
        if status is not None and status < 500 and status != 429:
            sys.exit("request %d: answered %d" % (r, status))
        if r not in retried:
            retried.append(r)
        if time.monotonic() > deadline:
            sys.exit("request %d: no 204 within 30 s" % r)
        time.sleep(0.02)
    progress.write("acked %d\n" % r)
    time.sleep(0.005)
print("retried", *retried)
