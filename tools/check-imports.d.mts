export declare function checkImports(root: string): string[];
