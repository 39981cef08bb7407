// The external devices a net-task can build from a description (so that a worker-mode
// net-task, which cannot receive a function, builds its own): kind → factory. The host
// gateway ("user") and TAP ("tap") register here, one line each, when they land; a launcher
// asks hasDeviceKind() first and says what it falls back to.

import { type Device } from "../phy/device.ts";

/** A device by kind, with the options its factory takes (JSON values). */
export interface DeviceSpec {
  kind: string;
  options?: Record<string, unknown>;
}

type DeviceFactory = (options: Record<string, unknown>) => Device;

const DEVICE_FACTORIES: ReadonlyMap<string, DeviceFactory> = new Map<string, DeviceFactory>([]);

export function hasDeviceKind(kind: string): boolean {
  return DEVICE_FACTORIES.has(kind);
}

/** Builds a device. Throws TypeError for a kind nobody registered (or what the factory throws). */
export function buildDevice(spec: DeviceSpec): Device {
  const factory = DEVICE_FACTORIES.get(spec.kind);
  if (factory === undefined) throw new TypeError(`Cannot build network device: no device of kind "${spec.kind}"`);
  return factory(spec.options ?? {});
}
