/* The smallest useful exec target: does nothing and exits 0.  spawn-loop execs it. */
int main(void) {
    return 0;
}
