export declare function renderSdk(document: unknown): string;
export declare function formatModule(text: string): string;
