// Calico's IPAM objects (spec calico-routes §1): IPAMBlock, BlockAffinity,
// IPAMHandle and IPAMConfig / IPAMConfiguration, in crd.projectcalico.org/v1
// and projectcalico.org/v3. The collector (../collect.ts) dispatches to the
// decoders per file and assembles their results into IR IPAMObjects.
export { decodeIPAMBlock, type DeclaredIPAMBlock } from "./block.js";
export { decodeBlockAffinity, type DeclaredBlockAffinity } from "./affinity.js";
export { decodeIPAMHandle, type DeclaredIPAMHandle } from "./handle.js";
export { decodeIPAMConfig, type DeclaredIPAMConfig } from "./config.js";
export { assembleIPAM, IPAMInputLists } from "./assemble.js";
