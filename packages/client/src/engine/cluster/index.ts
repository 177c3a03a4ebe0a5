// The cluster through the control connection: first connection, topology refresh and host merge, server
// events, control failover, schema agreement.
export { Cluster } from './cluster';
export { HostMerge } from './host-merge';
export { findContactPoints, type ContactPoints } from './contact-points';
