// netpolc's version: what --version prints and SARIF's tool.driver.version carries.
export const VERSION = "0.1.0";
