// Runs tiny hand-assembled programs on the KVM platform (the bytes were produced with GNU
// as, Intel syntax; each snippet's source is in the comment above it). Every test skips,
// with the reason, when /dev/kvm cannot be used on this host.
import { afterEach, describe, expect, it, type TestContext } from "vitest";
import { Perm, type Vcpu } from "../../../../microkernel/platform/cpu.ts";
import { allocFrameMemory, freeFrameMemory } from "../../../../microkernel/platform/frame_chunks.ts";
import { CODE, DATA, PAGE, SYSCALL_PROGRAM, syscallCases, bootGuest, reg, setReg, type Guest } from "./_guest.ts";
import { KVM, kvm, KvmUnavailableError } from "../../../../microkernel/platform/kvm_ffi.ts";
import { KVM_EXTRA_REG, KvmX86Engine } from "../../../../microkernel/platform/kvm_x86_64.ts";
import { KvmVmPool } from "../../../../microkernel/platform/kvm_vm.ts";
import { Msg, X86_64_REGISTER_LAYOUT } from "../../../../syscall-shim/x86_64.ts";

let kvmMissing: string | null = null;
try {
  kvm();
} catch (e) {
  if (!(e instanceof KvmUnavailableError)) throw e;
  kvmMissing = e.message;
}

const cleanups: (() => void)[] = [];

afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

function le32(x: number): number[] {
  return [x & 255, (x >>> 8) & 255, (x >>> 16) & 255, x >>> 24];
}

/** A VM (fresh, or from `pool`) with the code page holding `code` at CODE and RIP pointing at it. */
function boot(ctx: TestContext, code: readonly number[], pool: KvmVmPool | null = null): Guest<KvmX86Engine> {
  ctx.skip(kvmMissing !== null, `KVM not available: ${kvmMissing}`);
  // Every run has a budget, so a test that goes wrong stops instead of spinning.
  return bootGuest(new KvmX86Engine(pool), code, cleanups, (us) => us || 2_000_000);
}


describe("KvmX86Engine", () => {
  it("run() hands a syscall to onSyscall with the registers in the shim's message order", (ctx) => {
    const g = boot(ctx, SYSCALL_PROGRAM);
    const seen: { rax: number; rdi: number; rsiLo: number; rsiHi: number; rip: number }[] = [];
    const stop = g.run(0, (vcpu) => {
      seen.push({ rax: reg(vcpu, Msg.rax), rdi: reg(vcpu, Msg.rdi), rsiLo: vcpu.regs[Msg.rsi * 2]!, rsiHi: vcpu.regs[Msg.rsi * 2 + 1]!, rip: reg(vcpu, Msg.rip) });
      return false;
    });
    expect(stop.kind).toBe("syscall");
    expect(seen).toEqual([{ rax: 39, rdi: 0x1234, rsiLo: 0x55667788, rsiHi: 0x11223344, rip: CODE + 0x16 }]);
    expect(reg(g.vcpu, Msg.rip)).toBe(CODE + 0x16);
    // The guest did not get past the syscall: nothing stored yet.
    expect(g.data[0]).toBe(0);
  });


  it("syscall clobbers RCX and R11 with the return address and the flags, as on Linux", (ctx) => {
    const g = boot(ctx, SYSCALL_PROGRAM);
    setReg(g.vcpu, Msg.rcx, 5);
    setReg(g.vcpu, Msg.r11, 5);
    expect(g.run(0, () => false).kind).toBe("syscall");
    expect(reg(g.vcpu, Msg.rcx)).toBe(CODE + 0x16);
    expect(reg(g.vcpu, Msg.r11)).toBe(reg(g.vcpu, Msg.rflags));
    expect(reg(g.vcpu, Msg.rflags) & 0x202).toBe(0x202);
  });

  it("run() starts from the registers in the block, and a RIP written inside onSyscall is taken as it is", (ctx) => {
    const g = boot(ctx, SYSCALL_PROGRAM);
    expect(g.run(0, () => false).kind).toBe("syscall");
    setReg(g.vcpu, Msg.rip, CODE + 0x23);
    setReg(g.vcpu, Msg.rax, 231);
    let seen = -1;
    g.run(0, (vcpu) => ((seen = reg(vcpu, Msg.rax)), false));
    expect(seen).toBe(231);
    const h = boot(ctx, SYSCALL_PROGRAM);
    const stop = h.run(50_000, (vcpu) => {
      if (reg(vcpu, Msg.rax) === 60) return false;
      setReg(vcpu, Msg.rip, CODE + 0x1e);
      vcpu.writeAll();
      return true;
    });
    expect(stop.kind).toBe("syscall");
    expect(h.data[0]).toBe(0);
  });

  syscallCases(boot);

  it("run() preempts an endless jmp $ when the budget runs out, RIP still on the loop, and runs it again", (ctx) => {
    // jmp $
    const g = boot(ctx, [0xeb, 0xfe]);
    const stop = g.run(20_000, () => true);
    expect(stop.kind).toBe("preempted");
    expect(reg(g.vcpu, Msg.rip)).toBe(CODE);
    expect(g.run(5_000, () => true).kind).toBe("preempted");
    expect(reg(g.vcpu, Msg.rip)).toBe(CODE);
  });

  it("run() reports stores and reads refused by the page tables as kind memory, with the exact address", (ctx) => {
    // mov byte ptr [0x900000], 1
    let g = boot(ctx, [0xc6, 0x04, 0x25, 0x00, 0x00, 0x90, 0x00, 0x01]);
    expect(g.run(0, () => true)).toMatchObject({ kind: "memory", address: 0x900000, access: Perm.Write, mapped: false });
    expect(reg(g.vcpu, Msg.rip)).toBe(CODE);
    // mov dword ptr [0x12345], eax
    g = boot(ctx, [0x89, 0x04, 0x25, 0x45, 0x23, 0x01, 0x00]);
    expect(g.run(0, () => true)).toMatchObject({ kind: "memory", address: 0x12345, access: Perm.Write, mapped: true });
    // mov al, byte ptr [0x900010]
    g = boot(ctx, [0x8a, 0x04, 0x25, 0x10, 0x00, 0x90, 0x00]);
    expect(g.run(0, () => true)).toMatchObject({ kind: "memory", address: 0x900010, access: Perm.Read, mapped: false });
    // mov eax, 0x11008 · jmp rax
    g = boot(ctx, [0xb8, 0x08, 0x10, 0x01, 0x00, 0xff, 0xe0]);
    expect(g.run(0, () => true)).toMatchObject({ kind: "memory", address: DATA + 8, access: Perm.Exec, mapped: true });
    expect(reg(g.vcpu, Msg.rip)).toBe(DATA + 8);
  });

  it("protect() and unmap() take effect on the next access, also for a page already used", (ctx) => {
    // mov byte ptr [0x11000], 1 · syscall · jmp to the start
    const STORE_LOOP = [0xc6, 0x04, 0x25, 0x00, 0x10, 0x01, 0x00, 0x01, 0x0f, 0x05, 0xeb, 0xf4];
    const g = boot(ctx, STORE_LOOP);
    expect(g.run(0, () => false).kind).toBe("syscall");
    expect(g.data[0]).toBe(1);
    g.data[0] = 0;
    expect(g.engine.protect(DATA, PAGE, Perm.Read)).toBe(0);
    expect(g.run(0, () => true)).toMatchObject({ kind: "memory", address: DATA, access: Perm.Write, mapped: true });
    expect(g.data[0]).toBe(0);
    expect(g.engine.protect(DATA, PAGE, Perm.Read | Perm.Write)).toBe(0);
    expect(g.run(0, () => false).kind).toBe("syscall");
    expect(g.data[0]).toBe(1);
    expect(g.engine.protect(0x900000, PAGE, Perm.Read)).not.toBe(0);
    // Unmapped inside a fast-path syscall: the guest's next store faults.
    const h = boot(ctx, STORE_LOOP);
    const stop = h.run(0, (vcpu) => {
      h.engine.unmap(DATA, PAGE);
      vcpu.writeOne(Msg.rax);
      return true;
    });
    expect(stop).toMatchObject({ kind: "memory", address: DATA, access: Perm.Write, mapped: false });
  });

  it("two threads of one address space: a mapping removed while one ran is gone for the other too", (ctx) => {
    // mov byte ptr [0x11000], 1 · syscall · jmp to the start
    const g = boot(ctx, [0xc6, 0x04, 0x25, 0x00, 0x10, 0x01, 0x00, 0x01, 0x0f, 0x05, 0xeb, 0xf4]);
    const other = g.engine.createVcpu(X86_64_REGISTER_LAYOUT, g.vcpu);
    expect(g.engine.run(other, 2_000_000, () => false).kind).toBe("syscall");
    expect(g.run(0, (vcpu) => {
      g.engine.unmap(DATA, PAGE);
      vcpu.writeOne(Msg.rax);
      return true;
    })).toMatchObject({ kind: "memory", address: DATA, mapped: false });
    setReg(other, Msg.rip, CODE);
    expect({ ...g.engine.run(other, 2_000_000, () => true) }).toMatchObject({ kind: "memory", address: DATA, access: Perm.Write, mapped: false });
    g.engine.releaseVcpu(other);
  });

  it("protect() of pages the guest used takes effect for a whole table of them (copied) and past the touch list (shadow forgotten)", (ctx) => {
    // Stores to `count` pages `stride` apart from 0x40000000, then a syscall, again and again.
    const BASE = 0x4000_0000;
    const storeLoop = (count: number, stride: number): number[] => [
      0x48, 0xc7, 0xc7, ...le32(BASE), // mov rdi, BASE
      0xb9, ...le32(count), // mov ecx, count
      0xc6, 0x07, 0x01, // 1: mov byte ptr [rdi], 1
      0x48, 0x81, 0xc7, ...le32(stride), // add rdi, stride
      0xff, 0xc9, 0x75, 0xf2, // dec ecx · jnz 1b
      0x0f, 0x05, 0xeb, 0xe2, // syscall · jmp to the start
    ];
    for (const [count, stride] of [[512, PAGE], [300, 2 * 1024 * 1024]] as const) {
      const g = boot(ctx, storeLoop(count, stride));
      const frames = allocFrameMemory(count * PAGE);
      cleanups.unshift(() => freeFrameMemory(frames));
      for (let i = 0; i < count; i++) expect(g.engine.map(BASE + i * stride, frames.address + i * PAGE, PAGE, Perm.Read | Perm.Write)).toBe(0);
      expect(g.run(0, () => false).kind).toBe("syscall");
      expect(frames.bytes[(count - 1) * PAGE]).toBe(1);
      frames.bytes.fill(0);
      // One call for the whole table, or one per page (each its own table, in place).
      if (stride === PAGE) g.engine.protect(BASE, count * PAGE, Perm.Read);
      else for (let i = 0; i < count; i++) g.engine.protect(BASE + i * stride, PAGE, Perm.Read);
      expect({ count, ...g.run(0, () => true) }).toMatchObject({ count, kind: "memory", address: BASE, access: Perm.Write, mapped: true });
      // Made writable again (last page first), every store lands.
      for (let i = count - 1; i >= 0; i--) g.engine.protect(BASE + i * stride, PAGE, Perm.Read | Perm.Write);
      setReg(g.vcpu, Msg.rip, CODE);
      expect(g.run(0, () => false).kind).toBe("syscall");
      expect(frames.bytes.filter((b, i) => i % PAGE === 0 && b === 1).length).toBe(count);
    }
  });

  it("a vCPU whose ring-0 state was broken triple-faults: the run ends with an error and a message, and the vCPU runs again after", (ctx) => {
    // ud2 · then, from CODE + 2, the syscall program
    const g = boot(ctx, [0x0f, 0x0b, ...SYSCALL_PROGRAM]);
    // What no guest can reach, broken behind the engine's back: an IDT of limit 0, so the
    // #UD cannot be delivered (#GP, #DF, shutdown).
    const api = kvm(), fd = (g.vcpu as unknown as { fd: number }).fd;
    expect(api.ioctl(fd, KVM.GET_SREGS, api.scratch.address)).toBe(0);
    new DataView(api.scratch.bytes.buffer, api.scratch.bytes.byteOffset).setUint16(208 + 8, 0, true);
    expect(api.ioctl(fd, KVM.SET_SREGS, api.scratch.address)).toBe(0);
    const stop = g.run(0, () => true);
    expect(stop.kind).toBe("error");
    expect(stop.message).toMatch(/^the guest triple-faulted at 0x10000$/);
    // The host goes on: the same vCPU, its ring-0 state set again, runs the next program.
    setReg(g.vcpu, Msg.rip, CODE + 2);
    expect(g.run(0, () => false).kind).toBe("syscall");
    expect(reg(g.vcpu, Msg.rax)).toBe(39);
  });

  it("run() reports ud2, int3, a division by zero, hlt and a non-canonical address as their vectors", (ctx) => {
    const cases: [readonly number[], number, number][] = [
      [[0x0f, 0x0b], 6, CODE], // ud2
      [[0xcc], 3, CODE + 1], // int3
      [[0x31, 0xc9, 0xf7, 0xf1], 0, CODE + 2], // xor ecx, ecx · div ecx
      [[0xf4], 13, CODE], // hlt
      [[0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xe0], 13, CODE + 10], // movabs rax, 1<<63 · jmp rax
    ];
    for (const [code, vector, rip] of cases) {
      const g = boot(ctx, code);
      expect({ code, ...g.run(0, () => true) }).toMatchObject({ code, kind: "interrupt", address: vector });
      expect(reg(g.vcpu, Msg.rip)).toBe(rip);
    }
    // int 0x80 through a gate user code may not use: #GP on hardware; a PVM host reports #UD.
    const g = boot(ctx, [0xcd, 0x80]);
    const stop = g.run(0, () => true);
    expect(stop.kind).toBe("interrupt");
    expect([6, 13]).toContain(stop.address);
  });

  it("run() reports a jump into the kernel half as an Exec fault, not mapped", (ctx) => {
    // movabs rax, 0xffffffffffe05000 (the stub) · jmp rax
    const g = boot(ctx, [0x48, 0xb8, 0x00, 0x50, 0xe0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xe0]);
    expect(g.run(0, () => true)).toMatchObject({ kind: "memory", access: Perm.Exec, mapped: false });
  });

  it("a thread starts with Linux's FPU state, and readFpState()/writeFpState() round-trip SSE registers", (ctx) => {
    // movsd xmm2, [0x11000] · movsd [0x11010], xmm3 · fnstcw [0x11020] · stmxcsr [0x11024] · mov eax, 60 · syscall
    const g = boot(ctx, [
      0xf2, 0x0f, 0x10, 0x14, 0x25, 0x00, 0x10, 0x01, 0x00,
      0xf2, 0x0f, 0x11, 0x1c, 0x25, 0x10, 0x10, 0x01, 0x00,
      0xd9, 0x3c, 0x25, 0x20, 0x10, 0x01, 0x00,
      0x0f, 0xae, 0x1c, 0x25, 0x24, 0x10, 0x01, 0x00,
      0xb8, 0x3c, 0x00, 0x00, 0x00, 0x0f, 0x05,
    ]);
    g.data.set([1, 2, 3, 4, 5, 6, 7, 8], 0);
    const fx = new Uint8Array(512);
    g.vcpu.readFpState(fx);
    const view = new DataView(fx.buffer);
    expect(view.getUint16(0, true)).toBe(0x037f);
    expect(view.getUint32(24, true)).toBe(0x1f80);
    fx.fill(0x5a, 160 + 3 * 16, 160 + 4 * 16);
    g.vcpu.writeFpState(fx);
    expect(g.run(0, () => false).kind).toBe("syscall");
    expect([...g.data.subarray(16, 24)]).toEqual(new Array(8).fill(0x5a));
    expect(g.data[0x20]! | (g.data[0x21]! << 8)).toBe(0x037f);
    g.vcpu.readFpState(fx);
    expect([...fx.subarray(160 + 2 * 16, 160 + 2 * 16 + 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("writeExtra() sets the FS base the guest then addresses through", (ctx) => {
    // mov rax, qword ptr fs:[8] · mov eax... syscall
    const g = boot(ctx, [0x64, 0x48, 0x8b, 0x04, 0x25, 0x08, 0x00, 0x00, 0x00, 0x0f, 0x05]);
    new DataView(g.data.buffer, g.data.byteOffset).setBigUint64(0x108, 0x1122334455n, true);
    g.vcpu.writeExtra(KVM_EXTRA_REG.fs_base, BigInt(DATA + 0x100));
    expect(g.run(0, () => false).kind).toBe("syscall");
    expect(reg(g.vcpu, Msg.rax)).toBe(0x1122334455);
    expect(g.vcpu.readExtra(KVM_EXTRA_REG.fs_base)).toBe(BigInt(DATA + 0x100));
  });

  it("createVcpu(copyOf) copies a thread's whole state into another VM", (ctx) => {
    const g = boot(ctx, [0xeb, 0xfe]);
    g.vcpu.writeExtra(KVM_EXTRA_REG.fs_base, 0x7000_1234n);
    setReg(g.vcpu, Msg.rbx, 0xabcdef);
    const fx = new Uint8Array(512);
    g.vcpu.readFpState(fx);
    fx[160] = 0x42;
    g.vcpu.writeFpState(fx);
    const other = new KvmX86Engine();
    cleanups.push(() => other.dispose());
    const copy = other.createVcpu(X86_64_REGISTER_LAYOUT, g.vcpu);
    expect(copy.readExtra(KVM_EXTRA_REG.fs_base)).toBe(0x7000_1234n);
    expect(reg(copy, Msg.rbx)).toBe(0xabcdef);
    copy.readFpState(fx);
    expect(fx[160]).toBe(0x42);
  });

  it("a disposed engine's VM serves the next engine of its pool, which sees none of the last address space's pages", (ctx) => {
    const pool = new KvmVmPool();
    cleanups.push(() => pool.release());
    // mov rax, qword ptr [0x20000] · mov qword ptr [0x11008], 7 · syscall
    const READ_EXTRA = [0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, 0x48, 0xc7, 0x04, 0x25, 0x08, 0x10, 0x01, 0x00, 0x07, 0x00, 0x00, 0x00, 0x0f, 0x05];
    const first = boot(ctx, READ_EXTRA, pool);
    const extra = allocFrameMemory(PAGE);
    cleanups.push(() => freeFrameMemory(extra));
    extra.bytes[0] = 0x5a;
    expect(first.engine.map(0x20000, extra.address, PAGE, Perm.Read)).toBe(0);
    expect(first.run(0, () => false).kind).toBe("syscall");
    expect(reg(first.vcpu, Msg.rax)).toBe(0x5a);
    expect(first.data[8]).toBe(7);
    first.engine.dispose();
    expect(pool.idle).toBe(1);
    // The next engine takes that VM and its vCPU, set afresh: the page the last one mapped is not there.
    const second = boot(ctx, READ_EXTRA, pool);
    expect(pool.idle).toBe(0);
    expect(reg(second.vcpu, Msg.rax)).toBe(0);
    expect(second.run(0, () => false)).toMatchObject({ kind: "memory", address: 0x20000, access: Perm.Read, mapped: false });
    // Its own mapping there is its own page.
    const mine = allocFrameMemory(PAGE);
    cleanups.push(() => freeFrameMemory(mine));
    mine.bytes[0] = 0x33;
    expect(second.engine.map(0x20000, mine.address, PAGE, Perm.Read)).toBe(0);
    expect(second.run(0, () => false).kind).toBe("syscall");
    expect(reg(second.vcpu, Msg.rax)).toBe(0x33);
    expect(second.data[8]).toBe(7);
  });

  it("a pool keeps at most 4 VMs, none with more than 4 vCPUs, and release() closes them", (ctx) => {
    ctx.skip(kvmMissing !== null, `KVM not available: ${kvmMissing}`);
    const pool = new KvmVmPool();
    cleanups.push(() => pool.release());
    const engines = Array.from({ length: 6 }, () => new KvmX86Engine(pool));
    for (let i = 0; i < 5; i++) engines[5]!.createVcpu(X86_64_REGISTER_LAYOUT);
    engines[5]!.dispose(); // 5 vCPUs: closed
    expect(pool.idle).toBe(0);
    for (const e of engines) e.dispose();
    expect(pool.idle).toBe(4);
    pool.release();
    expect(pool.idle).toBe(0);
  });
});
