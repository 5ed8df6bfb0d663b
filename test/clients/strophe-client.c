/*
 * A libstrophe 0.12 client for the lab, driven like every harness in test/clients (README.md):
 * JSON lines, commands on stdin, events on stdout. It logs in a list of users, each finding the
 * cluster through DNS SRV (libstrophe's own resolver: res_query, pointed at the lab's DNS
 * server) over STARTTLS verified against the lab CA, with XEP-0198 as libstrophe does it, and
 * reconnects the way Profanity does on top of libstrophe: after every disconnect it did not ask
 * for, after a fixed delay (Profanity's /reconnect, 30 s by default: --reconnect-delay, short
 * here), carrying the XEP-0198 state over so that the new connection can resume.
 * libstrophe has no iq fallback: an iq nobody handles gets no answer at all (RFC 6120 wants
 * one); this app answers disco#info (for its caps) and nothing else, as a minimal app would.
 *
 *   strophe-client --domain D --dns-port P --ca FILE --users u1,u2 [--resource R]
 *                  [--caps-node URI] [--reconnect-delay MS]     (password: XMPP_PASSWORD)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <strophe.h>

#define MAX_USERS 64
#define NS_CAPS "http://jabber.org/protocol/caps"
#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_STREAMS "urn:ietf:params:xml:ns:xmpp-streams"
#define IDENTITY_NAME "strophe-client (xtransfer lab)"

typedef struct {
    char user[128];
    char jid[256];
    xmpp_conn_t *conn;
    xmpp_sm_state_t *sm_state;
    int fd;
    int online;
    int resumed;      /* the current stream is a resumption */
    int wanted_stop;  /* we asked for the disconnect */
    long long reconnect_at; /* ms; 0 = none pending */
    int needs_new_conn;
} user_t;

static xmpp_ctx_t *ctx;
static user_t users[MAX_USERS];
static int user_count;
static const char *domain, *ca_file, *password, *resource = "strophe", *caps_node = "https://strophe.im/libstrophe";
static int dns_port = 53;
static long reconnect_delay_ms = 2000;
static int stopping;
static char caps_ver[64];

static long long now_ms(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* --- JSON output (strings escaped) ------------------------------------------------------ */
static void json_str(FILE *out, const char *s) {
    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", out);
        else if (*p == '\r') fputs("\\r", out);
        else if (*p == '\t') fputs("\\t", out);
        else if (*p < 0x20) fprintf(out, "\\u%04x", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}

/* emit("online", u, "jid", s, "host", s, "#port", "123", NULL): keys starting with # are raw. */
static void emit(const char *event, const user_t *u, ...) {
    va_list ap;
    printf("{\"event\":");
    json_str(stdout, event);
    printf(",\"t\":%lld", now_ms());
    if (u) {
        printf(",\"user\":");
        json_str(stdout, u->user);
    }
    va_start(ap, u);
    for (;;) {
        const char *key = va_arg(ap, const char *);
        if (!key) break;
        const char *value = va_arg(ap, const char *);
        if (key[0] == '#') {
            printf(",\"%s\":%s", key + 1, value ? value : "null");
        } else {
            printf(",\"%s\":", key);
            json_str(stdout, value);
        }
    }
    va_end(ap);
    printf("}\n");
    fflush(stdout);
}

/* --- JSON input: flat objects of string values, enough for {"cmd":..,"to":..,"body":..} --- */
static int json_get(const char *line, const char *key, char *out, size_t size) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(line, pattern);
    if (!p) return 0;
    p += strlen(pattern);
    while (*p == ' ' || *p == ':') p++;
    if (*p != '"') return 0;
    p++;
    size_t n = 0;
    while (*p && *p != '"' && n + 1 < size) {
        if (*p == '\\' && p[1]) {
            p++;
            char c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'r' ? '\r' : *p;
            if (*p == 'u' && p[1] && p[2] && p[3] && p[4]) { /* \u00XX only */
                char hex[5] = {p[1], p[2], p[3], p[4], 0};
                c = (char)strtol(hex, NULL, 16);
                p += 4;
            }
            out[n++] = c;
        } else {
            out[n++] = *p;
        }
        p++;
    }
    out[n] = 0;
    return 1;
}

/* --- helpers ---------------------------------------------------------------------------- */
static user_t *user_of(xmpp_conn_t *conn) {
    for (int i = 0; i < user_count; i++)
        if (users[i].conn == conn) return &users[i];
    return NULL;
}

static const char *condition_name(xmpp_error_type_t type) {
    static const char *names[] = {
        "bad-format", "bad-namespace-prefix", "conflict", "connection-timeout", "host-gone",
        "host-unknown", "improper-addressing", "internal-server-error", "invalid-from", "invalid-id",
        "invalid-namespace", "invalid-xml", "not-authorized", "policy-violation",
        "remote-connection-failed", "resource-constraint", "restricted-xml", "see-other-host",
        "system-shutdown", "undefined-condition", "unsupported-encoding", "unsupported-stanza-type",
        "unsupported-version", "not-well-formed"};
    if ((unsigned)type < sizeof names / sizeof names[0]) return names[type];
    return "undefined-condition";
}

/* The condition element's name as the server sent it (libstrophe maps unknown ones, e.g.
 * <reset/>, to undefined-condition), and the see-other-host text. */
static void stream_error_details(xmpp_stream_error_t *se, const char **condition, char *host, size_t size) {
    *condition = condition_name(se->type);
    host[0] = 0;
    if (!se->stanza) return;
    for (xmpp_stanza_t *c = xmpp_stanza_get_children(se->stanza); c; c = xmpp_stanza_get_next(c)) {
        const char *ns = xmpp_stanza_get_ns(c), *name = xmpp_stanza_get_name(c);
        if (!name || !ns || strcmp(ns, NS_STREAMS) != 0 || strcmp(name, "text") == 0) continue;
        *condition = name;
        if (strcmp(name, "see-other-host") == 0) {
            char *text = xmpp_stanza_get_text(c);
            if (text) {
                snprintf(host, size, "%s", text);
                xmpp_free(ctx, text);
            }
        }
    }
}

static void peer_of(int fd, char *host, size_t size, int *port) {
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    host[0] = 0;
    *port = 0;
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&addr, &len) != 0) return;
    if (addr.ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&addr;
        inet_ntop(AF_INET, &a->sin_addr, host, size);
        *port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr;
        inet_ntop(AF_INET6, &a->sin6_addr, host, size);
        *port = ntohs(a->sin6_port);
    }
}

/* XEP-0115 ver: SHA-1 over "category/type//name<feature<..." (features sorted), base64. */
static const char *features[] = {NS_CAPS, NS_DISCO_INFO};
static void compute_caps_ver(void) {
    char s[512];
    snprintf(s, sizeof s, "client/pc//%s<%s<%s<", IDENTITY_NAME, features[0], features[1]);
    unsigned char digest[20];
    xmpp_sha1_digest((const unsigned char *)s, strlen(s), digest);
    char *b64 = xmpp_base64_encode(ctx, digest, sizeof digest);
    snprintf(caps_ver, sizeof caps_ver, "%s", b64);
    xmpp_free(ctx, b64);
}

static void send_presence(user_t *u) {
    xmpp_stanza_t *pres = xmpp_presence_new(ctx);
    xmpp_stanza_t *c = xmpp_stanza_new(ctx);
    xmpp_stanza_set_name(c, "c");
    xmpp_stanza_set_ns(c, NS_CAPS);
    xmpp_stanza_set_attribute(c, "hash", "sha-1");
    xmpp_stanza_set_attribute(c, "node", caps_node);
    xmpp_stanza_set_attribute(c, "ver", caps_ver);
    xmpp_stanza_add_child(pres, c);
    xmpp_stanza_release(c);
    xmpp_send(u->conn, pres);
    xmpp_stanza_release(pres);
}

/* --- handlers --------------------------------------------------------------------------- */
static int message_handler(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata) {
    (void)userdata;
    user_t *u = user_of(conn);
    char *body = xmpp_message_get_body(stanza);
    if (u && body) emit("message", u, "from", xmpp_stanza_get_from(stanza), "id", xmpp_stanza_get_id(stanza), "body", body, NULL);
    if (body) xmpp_free(ctx, body);
    return 1;
}

static int iq_handler(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata) {
    (void)userdata;
    user_t *u = user_of(conn);
    const char *type = xmpp_stanza_get_type(stanza);
    if (!u || !type || (strcmp(type, "get") != 0 && strcmp(type, "set") != 0)) return 1;
    xmpp_stanza_t *query = xmpp_stanza_get_children(stanza);
    while (query && !xmpp_stanza_is_tag(query)) query = xmpp_stanza_get_next(query);
    const char *ns = query ? xmpp_stanza_get_ns(query) : NULL;
    if (ns && strcmp(ns, NS_DISCO_INFO) == 0 && strcmp(type, "get") == 0) {
        xmpp_stanza_t *reply = xmpp_stanza_reply(stanza); /* keeps type='get': set it */
        xmpp_stanza_set_type(reply, "result");
        xmpp_stanza_t *q = xmpp_stanza_new(ctx);
        xmpp_stanza_set_name(q, "query");
        xmpp_stanza_set_ns(q, NS_DISCO_INFO);
        const char *node = xmpp_stanza_get_attribute(query, "node");
        if (node) xmpp_stanza_set_attribute(q, "node", node);
        xmpp_stanza_t *id = xmpp_stanza_new(ctx);
        xmpp_stanza_set_name(id, "identity");
        xmpp_stanza_set_attribute(id, "category", "client");
        xmpp_stanza_set_attribute(id, "type", "pc");
        xmpp_stanza_set_attribute(id, "name", IDENTITY_NAME);
        xmpp_stanza_add_child(q, id);
        xmpp_stanza_release(id);
        for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
            xmpp_stanza_t *f = xmpp_stanza_new(ctx);
            xmpp_stanza_set_name(f, "feature");
            xmpp_stanza_set_attribute(f, "var", features[i]);
            xmpp_stanza_add_child(q, f);
            xmpp_stanza_release(f);
        }
        xmpp_stanza_add_child(reply, q);
        xmpp_stanza_release(q);
        xmpp_send(conn, reply);
        xmpp_stanza_release(reply);
        emit("iq", u, "from", xmpp_stanza_get_from(stanza), "id", xmpp_stanza_get_id(stanza), "type", type,
             "namespace", ns, "answer", "result", "#condition", "null", NULL);
        return 1;
    }
    /* What libstrophe does with any other iq: nothing (no handler, no automatic error). */
    emit("iq", u, "from", xmpp_stanza_get_from(stanza), "id", xmpp_stanza_get_id(stanza), "type", type,
         "namespace", ns, "#answer", "null", "#condition", "null", NULL);
    return 1;
}

/* libstrophe handles <resumed/> itself and passes it to no handler; it calls the connect
 * handler right after logging "Session resumed successfully." for that connection, in the same
 * pass of the event loop (one thread): the logger is how the app learns it was a resumption. */
static int debug_log;
static int just_resumed;
static void log_handler(void *userdata, xmpp_log_level_t level, const char *area, const char *msg) {
    (void)userdata;
    if (strstr(msg, "Session resumed successfully")) just_resumed = 1;
    if (debug_log) fprintf(stderr, "%d %s %s\n", (int)level, area, msg);
}
static const xmpp_log_t logger = {log_handler, NULL};

static int sockopt_cb(xmpp_conn_t *conn, void *sock) {
    user_t *u = user_of(conn);
    if (u) u->fd = *(int *)sock;
    return xmpp_sockopt_cb_keepalive(conn, sock);
}

static void conn_handler(xmpp_conn_t *conn, xmpp_conn_event_t status, int error, xmpp_stream_error_t *se, void *userdata) {
    user_t *u = userdata;
    if (status == XMPP_CONN_CONNECT) {
        char host[64];
        int port;
        peer_of(u->fd, host, sizeof host, &port);
        char port_s[16];
        snprintf(port_s, sizeof port_s, "%d", port);
        const char *jid = xmpp_conn_get_bound_jid(conn);
        snprintf(u->jid, sizeof u->jid, "%s", jid ? jid : "");
        u->online = 1;
        u->resumed = just_resumed;
        just_resumed = 0;
        if (u->resumed) {
            emit("resumed", u, "jid", u->jid, "host", host, "#port", port_s, NULL);
        } else {
            send_presence(u);
            emit("online", u, "jid", u->jid, "host", host, "#port", port_s, "#secure", xmpp_conn_is_secured(conn) ? "true" : "false", NULL);
        }
        return;
    }
    /* XMPP_CONN_DISCONNECT or XMPP_CONN_FAIL */
    const char *condition = NULL;
    char see_other[256] = "";
    if (se) stream_error_details(se, &condition, see_other, sizeof see_other);
    int again = !u->wanted_stop && !stopping;
    char delay_s[32], error_s[16];
    snprintf(delay_s, sizeof delay_s, "%ld", again ? reconnect_delay_ms : 0);
    snprintf(error_s, sizeof error_s, "%d", error);
    emit("disconnected", u, "condition", condition, "text", se ? se->text : NULL,
         "seeOtherHost", see_other[0] ? see_other : NULL, "#socketError", error ? error_s : "null",
         "#wasOnline", u->online ? "true" : "false", "#reconnect", again ? "true" : "false",
         "#delayMs", delay_s, NULL);
    u->online = 0;
    u->resumed = 0;
    u->needs_new_conn = 1;
    if (again) u->reconnect_at = now_ms() + reconnect_delay_ms;
    else emit("offline", u, "reason", u->wanted_stop || stopping ? "stopped" : "gave up", NULL);
}

/* --- connecting --------------------------------------------------------------------------- */
static void connect_user(user_t *u) {
    if (u->conn && u->needs_new_conn) {
        /* Profanity keeps the XEP-0198 state of the lost connection for the next one. */
        u->sm_state = xmpp_conn_get_sm_state(u->conn);
        xmpp_conn_release(u->conn);
        u->conn = NULL;
    }
    if (!u->conn) {
        u->conn = xmpp_conn_new(ctx);
        char jid[512];
        snprintf(jid, sizeof jid, "%s@%s/%s", u->user, domain, resource);
        xmpp_conn_set_jid(u->conn, jid);
        xmpp_conn_set_pass(u->conn, password);
        xmpp_conn_set_flags(u->conn, XMPP_CONN_FLAG_MANDATORY_TLS);
        xmpp_conn_set_cafile(u->conn, ca_file);
        xmpp_conn_set_sockopt_callback(u->conn, sockopt_cb);
        xmpp_handler_add(u->conn, message_handler, NULL, "message", NULL, u);
        xmpp_handler_add(u->conn, iq_handler, NULL, "iq", NULL, u);
        if (u->sm_state) {
            xmpp_conn_set_sm_state(u->conn, u->sm_state);
            u->sm_state = NULL;
        }
    }
    u->needs_new_conn = 0;
    u->fd = -1;
    /* NULL altdomain: SRV _xmpp-client._tcp.<domain>, libstrophe's own choice among them. */
    if (xmpp_connect_client(u->conn, NULL, 0, conn_handler, u) != XMPP_EOK) {
        emit("disconnected", u, "#condition", "null", "text", "connect failed synchronously", "#reconnect", "true", NULL);
        u->needs_new_conn = 1;
        u->reconnect_at = now_ms() + reconnect_delay_ms;
    }
}

/* libstrophe resolves SRV with res_query on the thread's resolver state: point it at the lab. */
static void use_lab_dns(void) {
    res_init();
    _res.nscount = 1;
    _res.nsaddr_list[0].sin_family = AF_INET;
    _res.nsaddr_list[0].sin_port = htons((unsigned short)dns_port);
    inet_pton(AF_INET, "127.0.0.1", &_res.nsaddr_list[0].sin_addr);
    for (int i = 0; i < MAXNS; i++) _res._u._ext.nsaddrs[i] = NULL;
    _res._u._ext.nscount = 0;
    _res.retrans = 1;
    _res.retry = 2;
}

/* --- commands ------------------------------------------------------------------------------ */
static void handle_command(const char *line) {
    char cmd[32] = "";
    if (!json_get(line, "cmd", cmd, sizeof cmd)) {
        emit("error", NULL, "message", "a command needs \"cmd\"", NULL);
        return;
    }
    if (strcmp(cmd, "stop") == 0) {
        stopping = 1;
        for (int i = 0; i < user_count; i++) {
            users[i].wanted_stop = 1;
            users[i].reconnect_at = 0;
            if (users[i].conn && xmpp_conn_is_connected(users[i].conn)) xmpp_disconnect(users[i].conn);
        }
        return;
    }
    if (strcmp(cmd, "send") == 0) {
        char who[128] = "", to[512] = "", body[4096] = "";
        json_get(line, "user", who, sizeof who);
        if (!json_get(line, "to", to, sizeof to) || !json_get(line, "body", body, sizeof body)) {
            emit("error", NULL, "message", "send needs \"to\" and \"body\"", NULL);
            return;
        }
        user_t *u = &users[0];
        for (int i = 0; i < user_count; i++)
            if (strcmp(users[i].user, who) == 0) u = &users[i];
        if (!u->online) {
            emit("error", u, "message", "not online", NULL);
            return;
        }
        char id[32];
        snprintf(id, sizeof id, "s%lld", now_ms());
        xmpp_stanza_t *msg = xmpp_message_new(ctx, "chat", to, id);
        xmpp_message_set_body(msg, body);
        xmpp_send(u->conn, msg);
        xmpp_stanza_release(msg);
        emit("sent", u, "to", to, "id", id, NULL);
        return;
    }
    emit("error", NULL, "message", "unknown command", NULL);
}

static char inbuf[65536];
static size_t inlen;
static int read_stdin(void) {
    ssize_t n = read(0, inbuf + inlen, sizeof inbuf - 1 - inlen);
    if (n == 0) return 0; /* EOF: like stop */
    if (n < 0) return errno == EAGAIN || errno == EINTR ? 1 : 0;
    inlen += (size_t)n;
    char *start = inbuf, *nl;
    while ((nl = memchr(start, '\n', inlen - (size_t)(start - inbuf)))) {
        *nl = 0;
        if (nl > start) handle_command(start);
        start = nl + 1;
    }
    inlen -= (size_t)(start - inbuf);
    memmove(inbuf, start, inlen);
    if (inlen == sizeof inbuf - 1) inlen = 0;
    return 1;
}

int main(int argc, char **argv) {
    char *user_list = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--domain")) domain = argv[i + 1];
        else if (!strcmp(argv[i], "--dns-port")) dns_port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--ca")) ca_file = argv[i + 1];
        else if (!strcmp(argv[i], "--users")) user_list = argv[i + 1];
        else if (!strcmp(argv[i], "--resource")) resource = argv[i + 1];
        else if (!strcmp(argv[i], "--caps-node")) caps_node = argv[i + 1];
        else if (!strcmp(argv[i], "--reconnect-delay")) reconnect_delay_ms = atol(argv[i + 1]);
        else {
            fprintf(stderr, "strophe-client: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    password = getenv("XMPP_PASSWORD");
    if (!domain || !ca_file || !user_list || !password) {
        fprintf(stderr, "usage: strophe-client --domain D --dns-port P --ca FILE --users u1,u2 [--resource R] [--caps-node URI] [--reconnect-delay MS] (password in XMPP_PASSWORD)\n");
        return 2;
    }
    for (char *tok = strtok(user_list, ","); tok && user_count < MAX_USERS; tok = strtok(NULL, ",")) {
        snprintf(users[user_count].user, sizeof users[user_count].user, "%s", tok);
        users[user_count].fd = -1;
        user_count++;
    }
    use_lab_dns();
    xmpp_initialize();
    debug_log = getenv("STROPHE_DEBUG") != NULL;
    ctx = xmpp_ctx_new(NULL, &logger);
    compute_caps_ver();
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    emit("ready", NULL, "library", "libstrophe", "version", "0.12", "capsNode", caps_node, NULL);
    for (int i = 0; i < user_count; i++) connect_user(&users[i]);

    int stdin_open = 1;
    long long stop_deadline = 0;
    for (;;) {
        xmpp_run_once(ctx, 20);
        if (stdin_open) {
            struct pollfd p = {.fd = 0, .events = POLLIN};
            if (poll(&p, 1, 0) > 0 && !read_stdin()) {
                stdin_open = 0;
                if (!stopping) handle_command("{\"cmd\":\"stop\"}");
            }
        }
        long long now = now_ms();
        for (int i = 0; i < user_count; i++) {
            if (users[i].reconnect_at && now >= users[i].reconnect_at && !stopping) {
                users[i].reconnect_at = 0;
                connect_user(&users[i]);
            }
        }
        if (stopping) {
            if (!stop_deadline) stop_deadline = now + 3000;
            int busy = 0;
            for (int i = 0; i < user_count; i++)
                if (users[i].conn && !xmpp_conn_is_disconnected(users[i].conn)) busy = 1;
            if (!busy || now > stop_deadline) break;
        }
    }
    for (int i = 0; i < user_count; i++) {
        if (users[i].sm_state) xmpp_free_sm_state(users[i].sm_state);
        if (users[i].conn) xmpp_conn_release(users[i].conn);
    }
    emit("stopped", NULL, NULL);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
    return 0;
}
