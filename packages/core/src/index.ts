// The public surface of @shardcql/core. Each module keeps its own index.ts; names must not collide.
export * from './errors';
export * from './bytes';
export * from './types';
export * from './frame';
export * from './routing';
export * from './ring';
