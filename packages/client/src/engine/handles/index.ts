// Client handles, the owner's side: making them, their channel, the requesters their threads claim.
// (A handle's own side, the engine of a client made from one, is handle-engine.ts.)
export { HandleOwner, HANDLE_RING_BYTES } from './handle-owner';
