// weapp-qrcode 1.0.0 ships no typings; only the options this project uses are declared.
declare module 'weapp-qrcode' {
  /** The legacy canvas context subset the library draws with. */
  interface QrcodeContext {
    setFillStyle(color: string): void;
    fillRect(x: number, y: number, width: number, height: number): void;
    drawImage(...args: unknown[]): void;
    draw(reserve?: boolean, callback?: (res: unknown) => void): void;
  }
  interface DrawQrcodeOptions {
    text: string;
    width?: number;
    height?: number;
    x?: number;
    y?: number;
    canvasId?: string;
    ctx?: QrcodeContext;
    /** The component instance that owns the canvas (required inside components). */
    _this?: unknown;
    typeNumber?: number;
    correctLevel?: number;
    background?: string;
    foreground?: string;
    callback?: (res: unknown) => void;
  }
  function drawQrcode(options: DrawQrcodeOptions): void;
  export = drawQrcode;
}
