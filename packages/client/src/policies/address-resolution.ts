/**
 * Address translation (cassandra-driver `lib/policies/address-resolution.js`): maps the addresses a node
 * advertises in system.peers to the address the client dials.
 */
import * as dns from 'node:dns';
import * as net from 'node:net';

export type TranslateCallback = (endpoint: string) => void;

export class AddressTranslator {
  /** Identity: calls back with "address:port". */
  translate(address: string, port: number, callback: TranslateCallback): void {
    callback(`${address}:${port}`);
  }
}

/** On EC2, resolves a node's public address to the private one when client and node share a region. */
export class EC2MultiRegionTranslator extends AddressTranslator {
  override translate(address: string, port: number, callback: TranslateCallback): void {
    if (!net.isIP(address)) {
      callback(`${address}:${port}`);
      return;
    }
    dns.reverse(address, (err, hostnames) => {
      if (err || hostnames.length === 0) {
        if (err) this.logError(address, err);
        callback(`${address}:${port}`);
        return;
      }
      dns.lookup(hostnames[0]!, (err2, resolved) => {
        if (err2) this.logError(address, err2);
        callback(`${err2 ? address : resolved}:${port}`);
      });
    });
  }

  /**
   * Called when the DNS resolution of `address` fails (the address is then used untranslated). Does nothing;
   * assign your own to the instance to log it, as cassandra-driver documents.
   */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- cassandra-driver's signature: the parameters are for subclasses (their names show in the .d.ts)
  logError(address: string, err: Error): void {}
}
