// The Services part of the frontend: Service, EndpointSlice, Endpoints and
// KubeProxyConfiguration and ServiceCIDR decoders and their lowering to the IR ServiceModel
// (src/ir/service.ts). The collector (../collect.ts) dispatches to the
// decoders and keeps their results in a ServiceInputs.
export { decodeService, type DeclaredService } from "./service.js";
export { decodeEndpointSlice, decodeEndpoints, type DeclaredEndpoints } from "./endpointslice.js";
export { decodeKubeProxyConfiguration, type DeclaredKubeProxyConfig } from "./kubeproxy-config.js";
export { decodeServiceCIDR, type DeclaredServiceCIDR } from "./servicecidr.js";
export { hasServiceInputs, lowerServices, type ServiceInputs } from "./lower.js";

import type { DeclaredEndpoints } from "./endpointslice.js";
import type { DeclaredKubeProxyConfig } from "./kubeproxy-config.js";
import type { ServiceInputs } from "./lower.js";
import type { DeclaredService } from "./service.js";
import type { DeclaredServiceCIDR } from "./servicecidr.js";

/** Mutable lists the collector fills, read back as ServiceInputs. */
export class ServiceInputLists implements ServiceInputs {
  readonly services: DeclaredService[] = [];
  readonly endpoints: DeclaredEndpoints[] = [];
  readonly configs: DeclaredKubeProxyConfig[] = [];
  readonly serviceCIDRs: DeclaredServiceCIDR[] = [];
}
