/* POSIX threads under the LibOS: 8 workers, a mutex-protected counter, a condition-variable
 * producer/consumer queue, a barrier, __thread TLS per thread, pthread_join return values
 * and a detached thread. Every line printed is deterministic; exit status 0 when all the
 * checks held. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NTHREADS 8
#define INCREMENTS 20000
#define NITEMS 1000
#define QSIZE 4
#define NCONSUMERS 3

static int failures;

static void check(int ok, const char *what) {
    printf("%s: %s\n", what, ok ? "yes" : "no");
    if (!ok) failures++;
}

/* ---- mutex counter, TLS, barrier, join values ---- */

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static pthread_barrier_t barrier;
static int arrived; /* guarded by counter_lock */
static int saw_all_arrived[NTHREADS];
static int serial_count; /* guarded by counter_lock */

static __thread long tls_value = -1;
static __thread int tls_id;

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    int tls_fresh = tls_value == -1 && tls_id == 0; /* each thread starts with the initial values */
    tls_id = id;
    tls_value = 0;
    for (int i = 0; i < INCREMENTS; i++) {
        pthread_mutex_lock(&counter_lock);
        counter++;
        pthread_mutex_unlock(&counter_lock);
        tls_value += id; /* private: no lock needed */
    }
    pthread_mutex_lock(&counter_lock);
    arrived++;
    pthread_mutex_unlock(&counter_lock);

    int r = pthread_barrier_wait(&barrier);
    pthread_mutex_lock(&counter_lock);
    saw_all_arrived[id] = arrived == NTHREADS;
    if (r == PTHREAD_BARRIER_SERIAL_THREAD) serial_count++;
    pthread_mutex_unlock(&counter_lock);

    /* Return a value derived from this thread's TLS, checked by the joiner. */
    long ok = tls_fresh && tls_id == id && tls_value == (long)id * INCREMENTS;
    return (void *)(intptr_t)(ok ? 1000 + id : -1);
}

/* ---- producer / consumer ---- */

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_not_full = PTHREAD_COND_INITIALIZER;
static int queue[QSIZE], q_head, q_len, done_producing;
static int max_len_seen;

static void *producer(void *arg) {
    (void)arg;
    for (int i = 1; i <= NITEMS; i++) {
        pthread_mutex_lock(&q_lock);
        while (q_len == QSIZE) pthread_cond_wait(&q_not_full, &q_lock);
        queue[(q_head + q_len) % QSIZE] = i;
        q_len++;
        if (q_len > max_len_seen) max_len_seen = q_len;
        pthread_cond_signal(&q_not_empty);
        pthread_mutex_unlock(&q_lock);
    }
    pthread_mutex_lock(&q_lock);
    done_producing = 1;
    pthread_cond_broadcast(&q_not_empty);
    pthread_mutex_unlock(&q_lock);
    return NULL;
}

struct consumed {
    long sum;
    int count;
    int in_order; /* a single consumer sees increasing values */
};

static void *consumer(void *arg) {
    struct consumed *c = arg;
    int last = 0;
    c->in_order = 1;
    for (;;) {
        pthread_mutex_lock(&q_lock);
        while (q_len == 0 && !done_producing) pthread_cond_wait(&q_not_empty, &q_lock);
        if (q_len == 0) {
            pthread_mutex_unlock(&q_lock);
            return c;
        }
        int v = queue[q_head];
        q_head = (q_head + 1) % QSIZE;
        q_len--;
        pthread_cond_signal(&q_not_full);
        pthread_mutex_unlock(&q_lock);
        if (v <= last) c->in_order = 0;
        last = v;
        c->sum += v;
        c->count++;
    }
}

/* ---- detached thread ---- */

static pthread_mutex_t d_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t d_cond = PTHREAD_COND_INITIALIZER;
static int d_done;
static __thread int d_tls = 5;

static void *detached(void *arg) {
    int *out = arg;
    d_tls += 10;
    pthread_mutex_lock(&d_lock);
    *out = d_tls;
    d_done = 1;
    pthread_cond_signal(&d_cond);
    pthread_mutex_unlock(&d_lock);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);

    pthread_t t[NTHREADS];
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    tls_value = 12345; /* main's TLS copy; the threads must not see it */
    for (int i = 0; i < NTHREADS; i++) {
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    }
    int joins_ok = 1;
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        printf("thread %d returned %ld\n", i, (long)(intptr_t)ret);
        joins_ok &= (intptr_t)ret == 1000 + i;
    }
    pthread_barrier_destroy(&barrier);
    printf("counter = %ld (expected %d)\n", counter, NTHREADS * INCREMENTS);
    check(counter == (long)NTHREADS * INCREMENTS, "mutex counter exact");
    check(joins_ok, "join values carry each thread's own TLS result");
    check(tls_value == 12345, "main's TLS untouched by the threads");
    int all_saw = 1;
    for (int i = 0; i < NTHREADS; i++) all_saw &= saw_all_arrived[i];
    check(all_saw, "barrier: every thread saw all 8 arrive first");
    check(serial_count == 1, "barrier: exactly one PTHREAD_BARRIER_SERIAL_THREAD");

    pthread_t prod, cons[NCONSUMERS];
    struct consumed got[NCONSUMERS] = {{0, 0, 0}};
    pthread_create(&prod, NULL, producer, NULL);
    for (int i = 0; i < NCONSUMERS; i++) pthread_create(&cons[i], NULL, consumer, &got[i]);
    pthread_join(prod, NULL);
    long sum = 0;
    int count = 0, ordered = 1;
    for (int i = 0; i < NCONSUMERS; i++) {
        void *ret;
        pthread_join(cons[i], &ret);
        ordered &= ret == &got[i] && got[i].in_order;
        sum += got[i].sum;
        count += got[i].count;
    }
    printf("producer/consumer: %d items, sum %ld\n", count, sum);
    check(count == NITEMS && sum == (long)NITEMS * (NITEMS + 1) / 2, "every item consumed exactly once");
    check(ordered, "each consumer saw increasing items");
    check(max_len_seen <= QSIZE, "queue never over-filled");

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t d;
    int d_result = 0;
    pthread_create(&d, &attr, detached, &d_result);
    pthread_attr_destroy(&attr);
    pthread_mutex_lock(&d_lock);
    while (!d_done) pthread_cond_wait(&d_cond, &d_lock);
    pthread_mutex_unlock(&d_lock);
    printf("detached thread: TLS %d\n", d_result);
    check(d_result == 15 && d_tls == 5, "detached thread ran with its own TLS copy");

    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
