/* SPDX-License-Identifier: Apache-2.0 */
/* Copyright (C) 2026 The p11tee authors */
/*
 * Streamed transfers of many callers read by a few threads (net_options.
 * stream_threads). Each loop thread owns one libcurl multi handle and reads
 * every transfer handed to it: the sinks run on the loop thread, one after
 * another, so a gateway with 256 streams wakes one thread per batch of
 * arrived chunks instead of one thread per chunk, and keeps the streams'
 * buffers in a few threads' heaps.
 *
 * The caller's thread builds the transfer (setup() in transfer.c), hands it
 * to the loop with the fewest transfers, and sleeps until the loop finishes
 * it; libcurl's result then goes through the same outcome() as a transfer
 * driven in place. The multi handle is touched by its loop thread only; the
 * callers reach the loop through `incoming` under the loop's lock and
 * curl_multi_wakeup() (libcurl's one thread-safe multi call), which
 * net_cancel_trigger() and the release of a hold also use; every turn looks
 * at the cancels, holds and limits of the loop's transfers. The loop's lock
 * is never held across a libcurl call.
 *
 * Fair turns: each transfer is paused after each delivery to its sink and
 * resumed on the next turn, and its reads are NET_LOOP_READ_BYTES, so a stream
 * with much waiting (a server that sent its whole answer at once) holds up the
 * others for one small read at a time.
 *
 * A turn touches only the transfers with something to do: libcurl's socket
 * callback keeps the loop's table of the sockets it watches, curl_multi_poll()
 * waits on them (as `extra_fds`, which it reports on) and on its wake-up pair,
 * and curl_multi_socket_action() runs the transfers of each ready socket and
 * those whose timer expired. (curl_multi_perform would look at the socket of
 * every transfer of the loop at every turn: a poll() per transfer per chunk
 * when streams are many and chunks sparse.) The table only grows in
 * loop_take(), outside libcurl: the socket callback, which must not fail, never
 * allocates.
 *
 * A turn ends with the caller's turn_end (net_options), as does every finished
 * transfer before its caller hears of it: what the sinks gathered in the turn
 * (a gateway's wake-ups of the threads that send each stream on) goes on once
 * per turn, and never after a transfer's caller went on.
 *
 * Each transfer has a connection of its own (no HTTP/2 multiplexing between
 * them), as when each ran on its caller's thread: a hold pauses one stream's
 * connection, never another's.
 */
#include "config.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include "net/transfer.h"

#define NET_LOOP_READ_BYTES 4096L
/* Sockets one transfer may have at once: two while connecting (IPv4 and IPv6), the resolver's. */
#define NET_LOOP_SOCKS_PER_XFER 4

struct net_loop {
    pthread_t tid;
    net_client *c;
    CURLM *m;
    pthread_mutex_t lock; /* guards incoming, load, stop and every x->finished */
    net_xfer *incoming;   /* handed over, not yet added to the multi handle */
    size_t load;          /* transfers handed over and not finished */
    int stop, started;
    net_xfer *running; /* the loop thread's own list */
    size_t n_running;
    /* The sockets libcurl watches (fd CURL_SOCKET_BAD: a free slot) and, after a
       poll, what each is ready for; the loop thread's own. */
    struct curl_waitfd *socks;
    size_t n_socks, cap_socks;
};

/* libcurl's socket callback: record what it watches; a slot's index + 1 is the socketp. */
static int loop_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    net_loop *l = userp;
    size_t i = (size_t)(uintptr_t)socketp;

    (void)e;
    if (what == CURL_POLL_REMOVE) {
        if (i > 0 && i <= l->n_socks && l->socks[i - 1].fd == s)
            l->socks[i - 1].fd = CURL_SOCKET_BAD;
        return 0;
    }
    if (i == 0 || i > l->n_socks || l->socks[i - 1].fd != s) {
        for (i = 1; i <= l->n_socks && l->socks[i - 1].fd != CURL_SOCKET_BAD; i++)
            ;
        if (i > l->cap_socks) /* loop_take keeps room: never reached */
            return 0;
        if (i > l->n_socks)
            l->n_socks = i;
        l->socks[i - 1].fd = s;
        curl_multi_assign(l->m, s, (void *)(uintptr_t)i);
    }
    l->socks[i - 1].events = (short)((what & CURL_POLL_IN ? CURL_WAIT_POLLIN : 0) |
                                     (what & CURL_POLL_OUT ? CURL_WAIT_POLLOUT : 0));
    l->socks[i - 1].revents = 0;
    return 0;
}

/* Room in the socket table for one more transfer; 0, or -1 when memory ran out. */
static int loop_room(net_loop *l)
{
    size_t want = (l->n_running + 1) * NET_LOOP_SOCKS_PER_XFER, i;
    struct curl_waitfd *t;

    if (want <= l->cap_socks)
        return 0;
    want *= 2;
    if ((t = realloc(l->socks, want * sizeof(*t))) == NULL)
        return -1;
    for (i = l->cap_socks; i < want; i++)
        t[i].fd = CURL_SOCKET_BAD;
    l->socks = t;
    l->cap_socks = want;
    return 0;
}

/* The caller's end of a turn (net_options.turn_end): what the sinks gathered goes on. */
static void loop_turn_end(net_loop *l)
{
    if (l->c->turn_end != NULL)
        l->c->turn_end(l->c->turn_ctx);
}

static void loop_finish(net_loop *l, net_xfer *x, p11tee_status rc, CURLcode res)
{
    net_xfer **pp;

    loop_turn_end(l); /* before its caller may go on */
    curl_multi_remove_handle(l->m, x->h);
    net_cancel_detach(x->req->cancel);
    for (pp = &l->running; *pp != NULL; pp = &(*pp)->next)
        if (*pp == x) {
            *pp = x->next;
            l->n_running--;
            break;
        }
    pthread_mutex_lock(&l->lock);
    x->loop_rc = rc;
    x->loop_res = res;
    x->finished = 1;
    l->load--;
    pthread_cond_signal(&x->done);
    pthread_mutex_unlock(&l->lock);
}

static void loop_cancelled(net_loop *l, net_xfer *x)
{
    loop_finish(l, x, err_set(x->err, P11TEE_E_CANCELLED, "the request was cancelled"), CURLE_OK);
}

/* The transfers handed over since the last turn join the multi handle. 1: stop. */
static int loop_take(net_loop *l)
{
    net_xfer *x, *next;
    int stop;

    pthread_mutex_lock(&l->lock);
    x = l->incoming;
    l->incoming = NULL;
    stop = l->stop && x == NULL && l->running == NULL;
    pthread_mutex_unlock(&l->lock);
    for (; x != NULL; x = next) {
        next = x->next;
        x->next = l->running;
        l->running = x;
        l->n_running++;
        x->start_ms = x->last_rx_ms = net_now_ms();
        if (loop_room(l) != 0)
            loop_finish(l, x,
                        err_set(x->err, P11TEE_E_NOMEM, "out of memory starting the transfer"),
                        CURLE_OK);
        else if (curl_multi_add_handle(l->m, x->h) != CURLM_OK)
            loop_finish(l, x, err_set(x->err, P11TEE_E_NET, "libcurl could not start the transfer"),
                        CURLE_OK);
        else if (net_cancel_attach(x->req->cancel, l->m))
            loop_cancelled(l, x);
    }
    return stop;
}

/* Cancelled and timed-out transfers end; the wait until the next limit strikes. */
static long loop_limits(net_loop *l)
{
    net_xfer *x, *next;
    uint64_t now = net_now_ms();
    long wait = NET_POLL_MAX_MS, t;

    for (x = l->running; x != NULL; x = next) {
        next = x->next;
        if (net_cancel_triggered(x->req->cancel))
            loop_cancelled(l, x);
        else if ((t = net_xfer_time_left(x, now)) <= 0)
            loop_finish(l, x, net_xfer_timed_out(x, now), CURLE_OK);
        else if (x->yielded) /* it has bytes waiting: the next turn starts at once */
            wait = 0;
        else if (t < wait)
            wait = t;
    }
    return wait;
}

/* Run the transfers of the sockets the last poll found ready, then those whose timer expired. */
static CURLMcode loop_act(net_loop *l)
{
    int running = 0, mask;
    size_t i;
    CURLMcode mc = CURLM_OK, r;

    for (i = 0; i < l->n_socks; i++) {
        struct curl_waitfd *w = &l->socks[i];

        if (w->fd == CURL_SOCKET_BAD || w->revents == 0)
            continue;
        mask = (w->revents & (CURL_WAIT_POLLIN | CURL_WAIT_POLLPRI) ? CURL_CSELECT_IN : 0) |
               (w->revents & CURL_WAIT_POLLOUT ? CURL_CSELECT_OUT : 0);
        w->revents = 0; /* before the call: the callback may reuse the slot */
        if ((r = curl_multi_socket_action(l->m, w->fd, mask ? mask : CURL_CSELECT_ERR, &running)) !=
            CURLM_OK)
            mc = r;
    }
    if ((r = curl_multi_socket_action(l->m, CURL_SOCKET_TIMEOUT, 0, &running)) != CURLM_OK)
        mc = r;
    return mc;
}

/* The wait for the next turn: the limits', or libcurl's next timer if sooner. */
static int loop_wait(net_loop *l)
{
    long wait = loop_limits(l), t = -1;

    if (curl_multi_timeout(l->m, &t) == CURLM_OK && t >= 0 && t < wait)
        wait = t;
    return (int)wait;
}

/* One turn: read what arrived, end what is done. */
static void loop_turn(net_loop *l)
{
    int left;
    CURLMcode mc;
    CURLMsg *msg;
    net_xfer *x, *next;

    err_oom_reset(); /* libcurl's allocations note their failures (client.c) */
    for (x = l->running; x != NULL; x = next) {
        next = x->next;
        if (net_xfer_resume(x) != P11TEE_OK)
            loop_finish(l, x, x->rc, CURLE_OK);
    }
    mc = loop_act(l);
    if (err_oom_seen()) /* whose it was is not known: each transfer may report it */
        for (x = l->running; x != NULL; x = x->next)
            x->oom = 1;
    while ((msg = curl_multi_info_read(l->m, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE ||
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x) != CURLE_OK)
            continue;
        loop_finish(l, x, P11TEE_OK, msg->data.result);
    }
    if (mc != CURLM_OK)
        while ((x = l->running) != NULL)
            loop_finish(
                l, x, err_set(x->err, P11TEE_E_NET, "libcurl failed: %s", curl_multi_strerror(mc)),
                CURLE_OK);
    loop_turn_end(l);
    mc = curl_multi_poll(l->m, l->socks, (unsigned int)l->n_socks, loop_wait(l), NULL);
    (void)mc; /* a failed poll is a turn without waiting; the actions report what broke */
}

static void *loop_main(void *arg)
{
    net_loop *l = arg;
    sigset_t set;

    /* A peer that closes makes a write raise SIGPIPE: never on this thread. */
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    while (!loop_take(l))
        loop_turn(l);
    return NULL;
}

p11tee_status net_loops_start(net_client *c, size_t n, p11tee_error *err)
{
    size_t i;

    if (n == 0)
        return P11TEE_OK;
    if ((c->loops = calloc(n, sizeof(*c->loops))) == NULL)
        return err_set(err, P11TEE_E_NOMEM, "out of memory starting the stream threads");
    c->n_loops = n;
    for (i = 0; i < n; i++) {
        net_loop *l = &c->loops[i];

        pthread_mutex_init(&l->lock, NULL);
        l->c = c;
        if ((l->m = curl_multi_init()) == NULL)
            return err_set(err, P11TEE_E_NOMEM, "out of memory starting the stream threads");
        /* The idle connections it keeps for the next transfers, as the pool does. */
        curl_multi_setopt(l->m, CURLMOPT_MAXCONNECTS, (long)c->pool_max);
        curl_multi_setopt(l->m, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
        curl_multi_setopt(l->m, CURLMOPT_SOCKETFUNCTION, loop_socket);
        curl_multi_setopt(l->m, CURLMOPT_SOCKETDATA, l);
        if (pthread_create(&l->tid, NULL, loop_main, l) != 0)
            return err_set(err, P11TEE_E_NOMEM, "could not start a stream thread");
        l->started = 1;
    }
    return P11TEE_OK;
}

void net_loops_stop(net_client *c)
{
    size_t i;

    for (i = 0; i < c->n_loops; i++) {
        net_loop *l = &c->loops[i];

        if (l->started) {
            pthread_mutex_lock(&l->lock);
            l->stop = 1;
            pthread_mutex_unlock(&l->lock);
            curl_multi_wakeup(l->m);
            pthread_join(l->tid, NULL);
        }
        if (l->m != NULL)
            curl_multi_cleanup(l->m); /* may still call loop_socket */
        free(l->socks);
        pthread_mutex_destroy(&l->lock);
    }
    free(c->loops);
    c->loops = NULL;
    c->n_loops = 0;
}

/* The loop with the fewest transfers (a glance: a close second is as good). */
static net_loop *loop_pick(net_client *c)
{
    net_loop *best = &c->loops[0];
    size_t i, least = (size_t)-1, load;

    for (i = 0; i < c->n_loops; i++) {
        pthread_mutex_lock(&c->loops[i].lock);
        load = c->loops[i].load;
        pthread_mutex_unlock(&c->loops[i].lock);
        if (load < least) {
            least = load;
            best = &c->loops[i];
        }
    }
    return best;
}

p11tee_status net_loop_perform(net_client *c, net_xfer *x, CURLcode *res)
{
    net_loop *l = loop_pick(c);

    if (curl_easy_setopt(x->h, CURLOPT_PRIVATE, (char *)x) != CURLE_OK)
        return err_set(x->err, P11TEE_E_NET, "libcurl could not start the transfer");
    /*
     * One delivery per turn (libcurl would read a socket that stays readable up to
     * a hundred times), and a delivery is one small read: about ten chunks of a
     * chat, not forty, so that a stream with much waiting holds up the others little.
     */
    x->yields = 1;
    if (curl_easy_setopt(x->h, CURLOPT_BUFFERSIZE, NET_LOOP_READ_BYTES) != CURLE_OK)
        return err_set(x->err, P11TEE_E_NET, "libcurl could not start the transfer");
    pthread_cond_init(&x->done, NULL);
    pthread_mutex_lock(&l->lock);
    x->next = l->incoming;
    l->incoming = x;
    l->load++;
    pthread_mutex_unlock(&l->lock);
    curl_multi_wakeup(l->m);
    pthread_mutex_lock(&l->lock);
    while (!x->finished)
        pthread_cond_wait(&x->done, &l->lock);
    pthread_mutex_unlock(&l->lock);
    pthread_cond_destroy(&x->done);
    if (x->oom)
        err_oom_note(); /* for outcome(), on this thread */
    *res = x->loop_res;
    return x->loop_rc;
}
