// libpq, the PostgreSQL client library, for PostgresSink.
#include <libpq-fe.h>
