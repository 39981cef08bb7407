// Runs before every test file. The integration suites block in spawnSync for seconds at a
// time; without a macrotask turn between tests the worker never reads vitest's RPC replies
// and a long file ends with "Timeout calling onTaskUpdate". One setImmediate per test lets
// them through.

import { afterEach } from "vitest";

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
