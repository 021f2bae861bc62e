import { connect } from 'node:net';
import { ForwardedHost } from '@sandbox/testing';

/** What every listener answers, so "reached" means our listener and nothing else. */
export const TARGET_REPLY = 'egress-target';
/** The cloud metadata endpoint's port; the namespace is ours alone, so nothing else listens there. */
export const TARGET_PORT = 80;
const CONNECT_TIMEOUT_MS = 1500;
const LISTENER = `require('net').createServer((s) => s.end('${TARGET_REPLY}\\n')).listen(${TARGET_PORT}, '0.0.0.0', () => console.log('listening'))`;

export type ProbeOutcome = 'reached' | 'blocked';

/**
 * TCP listeners on arbitrary addresses (private ones included) that are *forwarded* destinations for
 * the host, not local ones: one tiny server on every address of a `ForwardedHost` (libs/testing), so a
 * sandbox's packets to them cross the FORWARD chain (and DOCKER-USER) exactly like packets to a LAN
 * host or a cloud metadata endpoint would. Only the host side of the veth (for the host-side control)
 * and the sandboxes passed to `routeFrom` are routed to them.
 */
export class EgressTargets {
  private readonly host: ForwardedHost;

  constructor(readonly addresses: readonly string[]) {
    this.host = new ForwardedHost('sbxeg', addresses);
  }

  async up(): Promise<void> {
    await this.host.up();
    await this.host.serve('egress target listener', LISTENER);
  }

  /** Routes traffic from `sourceAddress` (a sandbox's IP, or a subnet) to the targets. */
  routeFrom(sourceAddress: string): void {
    this.host.routeFrom(sourceAddress);
  }

  /** Connects from the host (bound to the veth address, so through the targets' table). */
  probeFromHost(address: string): Promise<ProbeOutcome> {
    return new Promise((resolve) => {
      const socket = connect({ host: address, port: TARGET_PORT, localAddress: this.host.hostAddress });
      const done = (outcome: ProbeOutcome) => {
        socket.destroy();
        resolve(outcome);
      };
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => done('blocked'));
      socket.on('data', (data) => done(String(data).trim() === TARGET_REPLY ? 'reached' : 'blocked'));
      socket.on('error', () => done('blocked'));
    });
  }

  /** Removes everything `up` made, whatever state it got to; never throws. */
  destroy(): Promise<void> {
    return this.host.destroy();
  }
}
