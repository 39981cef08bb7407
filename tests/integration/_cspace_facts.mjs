// Boots a user kernel from the build (dist/) in the fs mode given as argv[2] and prints,
// as JSON, who holds which capability: the facts tests/integration/cspace.test.ts checks.
// (A separate process: the build is plain Node ESM, and no guest needs to run.)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const D = new URL("../../dist", import.meta.url).pathname;
const { UserKernel } = await import(`${D}/libos/user_kernel.js`);
const { guestLayout } = await import(`${D}/libos/mounts.js`);
const { KtSlot } = await import(`${D}/libos/kernel_task_cspace.js`);
const { CNode, Rights, hasRights } = await import(`${D}/microkernel/mod.js`);

const mode = process.argv[2];
const volume = fs.mkdtempSync(path.join(os.tmpdir(), "uk-cspace-"));
const layout = guestLayout({
  root: null, image: new URL("../../.deps/initfs.img", import.meta.url).pathname,
  volumes: [{ host: volume, guest: "/mnt/deep/vol", readOnly: false }], tmpfs: [], workdir: null, isolate: true, hostCwd: volume,
});
const uk = new UserKernel({ memoryQuota: 64 << 20, layout, fsMode: mode, strace: false });
const [init] = uk.spawn([["/bin/busybox", "true"]], []); // loaded, its thread's TCB made; not run

const caps = (cnode) => {
  const out = [];
  for (let i = 0; i < cnode.slotCount; i++) if (cnode.capAt(i) !== null) out.push(cnode.capAt(i));
  return out;
};
// The user kernel's root CNode is the one its share came with (root_task.ts).
const root = uk.share.cnode;
const rootObjects = caps(root).map((c) => c.object);
const cnodes = rootObjects.filter((o) => o instanceof CNode && o !== root);
const kt = cnodes.find((c) => c.radixBits === 16);
const fsCnode = cnodes.find((c) => c.radixBits === 8) ?? null;
const fsTcb = rootObjects.find((o) => o.kind === "Tcb" && o.cspaceRoot === fsCnode && fsCnode !== null) ?? null;
const forbidden = [
  root, root.capAt(1).object, uk.share.authority, uk.kernel.rootCnode, uk.kernel.rootUntyped, uk.kernel.rootTcb, fsCnode, fsTcb,
].filter((o) => o !== null);
const ktCaps = caps(kt);
const fsEndpoint = fsCnode === null ? null : caps(fsCnode).find((c) => c.object.kind === "Endpoint").object;
const clients = ktCaps.filter((c) => c.object === fsEndpoint);
const fsQuota = fsCnode === null ? null : caps(fsCnode).find((c) => c.object.kind === "Untyped")?.object ?? null;
const ktQuota = kt.capAt(KtSlot.Untyped).object;
const guestTcbs = ktCaps.filter((c) => c.object.kind === "Tcb" && c.object.threadKind === "guest").map((c) => c.object);
const guestCaps = guestTcbs.length === 1 ? caps(guestTcbs[0].cspaceRoot) : [];

let quotaCharged = 0;
if (fsQuota !== null) {
  const h = uk.anonFiles.open("/", 0o20200000 | 0o2, 0o600); // O_TMPFILE | O_RDWR
  uk.anonFiles.pwrite(h, new Uint8Array(1), 0); // the client's bounce frame comes from the quota too: make it first
  const before = fsQuota.freeBytes;
  uk.anonFiles.pwrite(h, new Uint8Array(64 * 1024), 65536);
  quotaCharged = before - fsQuota.freeBytes;
  uk.anonFiles.close(h);
}

const facts = {
  ktSelf: kt.capAt(KtSlot.CNode).object === kt,
  ktQuotaIsUserKernels: ktQuota === root.capAt(16)?.object,
  guestThreads: guestTcbs.length,
  guestCSpaceIsNotKernelTasks: guestTcbs.every((t) => t.cspaceRoot !== kt),
  guestCSpaceOnlyItsFaultCap: guestCaps.length === 1 && guestCaps[0].object.kind === "Endpoint" && guestCaps[0].badge === init.pid &&
    guestCaps[0].rights === (Rights.Write | Rights.GrantReply),
  ktReachesForbidden: ktCaps.filter((c) => forbidden.includes(c.object)).length,
  fsServerSeparate: fsCnode !== null && fsTcb !== null && fsTcb.cspaceRoot !== kt,
  clientCaps: clients.length,
  clientCapsBadgedCallOnly: clients.every((c) => c.badge !== 0 && !hasRights(c.rights, Rights.Read) && hasRights(c.rights, Rights.Write | Rights.Grant)),
  fsQuotaIsUserKernels: fsQuota === ktQuota,
  quotaCharged,
  anonFilesMode: uk.anonFiles.mode ?? "inproc",
  skeletonMode: uk.vfs.mounts.find((m) => m.at === "/mnt/deep")?.fs.mode ?? "inproc",
  skeletonMounted: uk.vfs.mounts.some((m) => m.at === "/mnt/deep" && m.type === "tmpfs"),
};
await uk.shutdown();
fs.rmSync(volume, { recursive: true, force: true });
console.log(JSON.stringify(facts));
