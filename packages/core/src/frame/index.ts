// Protocol framing: envelope headers, the incremental parser, v5 frames, compression, control messages.
export * from './opcodes';
export * from './header';
export * from './envelope-parser';
export * from './crc';
export * from './v5-framing';
export * from './compression';
export * from './control';
export * from './negotiation';
export * from './request';
export * from './response';
