/**
 * Local mode only: the "模拟支付" sheet that stands in for the payer's wallet (WeChat Pay's payment
 * sheet, or the PAYJS mini-program), which cannot reach the local emulators.
 */

export type SimulatedOutcome = 'pay' | 'cancel' | 'fail';

const CHOICES: ReadonlyArray<{ label: string; outcome: SimulatedOutcome }> = [
  { label: '支付成功', outcome: 'pay' },
  { label: '取消支付', outcome: 'cancel' },
  { label: '支付失败', outcome: 'fail' },
];

export function chooseSimulatedOutcome(): Promise<SimulatedOutcome> {
  return new Promise((resolve) => {
    wx.showActionSheet({
      itemList: CHOICES.map((c) => c.label),
      success: (res) => resolve(CHOICES[res.tapIndex]?.outcome ?? 'cancel'),
      // Dismissing the sheet is the same as closing the wallet without paying.
      fail: () => resolve('cancel'),
    });
  });
}
