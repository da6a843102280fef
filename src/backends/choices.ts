// The backends' choices the CLI lists in its flag table, --help and
// completion: constants only, loaded without any backend code, so that
// `netpolc --version` and `--help` stay fast (src/cli/commands.ts loads
// commands lazily; this file is what the flag table needs eagerly).
export { PASS_NAMES } from "./calico/optimize/pass-names.js";
export { KUBE_PROXY_VERSIONS } from "./kubeproxy/options.js";
export { CALICO_VERSIONS } from "./calico/profile.js";
