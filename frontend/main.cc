// Placeholder until the process is wired (issue 2).
int main() { return 1; }
